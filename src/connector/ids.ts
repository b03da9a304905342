/** Typed ids: opaque strings a connector makes and parses; core never parses them. */
type Brand<T, B extends string> = T & { readonly __brand: B };

/** A chat on the remote network, unique within one connector (e.g. `libera/#rust`). */
export type PortalKey = Brand<string, 'PortalKey'>;
/** A user on the remote network, unique within one connector (e.g. `libera/alice`). */
export type RemoteUserId = Brand<string, 'RemoteUserId'>;
/** A message on the remote network, unique within one portal. */
export type RemoteMessageId = Brand<string, 'RemoteMessageId'>;
/** `@localpart:server` */
export type MatrixUserId = Brand<string, 'MatrixUserId'>;
/** `!opaque:server` */
export type MatrixRoomId = Brand<string, 'MatrixRoomId'>;
/** `$opaque` */
export type MatrixEventId = Brand<string, 'MatrixEventId'>;

export const portalKey = (s: string) => s as PortalKey;
export const remoteUserId = (s: string) => s as RemoteUserId;
export const remoteMessageId = (s: string) => s as RemoteMessageId;
