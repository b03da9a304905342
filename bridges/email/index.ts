/** The email bridge: mailboxes over IMAP (in) and SMTP submission (out). See README.md. */
export { EmailConnector } from './connector.js';
export { emailConfigSchema, type EmailConfig } from './config.js';
