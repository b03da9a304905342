/** The echo bridge's own config keys (under `bridges.echo`). */
import { z } from 'zod';

const allOn = {
  edits: true,
  redactions: true,
  reactions: true,
  typing: true,
  calls: true,
  receipts: true,
  presence: true,
};

export const echoConfigSchema = z
  .object({
    /** Wait this long before echoing: a slow network, for tests of crashes mid-delivery. */
    delay_ms: z.number().int().min(0).max(600_000).default(0),
    /** Messages containing this text are refused, like a network that rejects them. */
    reject_text: z.string().min(1).optional(),
    /** Turn capabilities off to see how core reports what a network lacks. */
    features: z
      .object({
        edits: z.boolean().default(true),
        redactions: z.boolean().default(true),
        reactions: z.boolean().default(true),
        typing: z.boolean().default(true),
        calls: z.boolean().default(true),
        receipts: z.boolean().default(true),
        presence: z.boolean().default(true),
      })
      .strict()
      .default(allOn),
  })
  .strict();

export type EchoConfig = z.infer<typeof echoConfigSchema>;
