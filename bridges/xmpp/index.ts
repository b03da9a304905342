/** The XMPP bridge: an external component (XEP-0114) for one-to-one chats and MUCs. See README.md. */
export { XmppConnector } from './connector.js';
export { xmppConfigSchema, type XmppConfig } from './config.js';
