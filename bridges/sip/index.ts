/** The SIP bridge: a SIP trunk's texts and calls in Matrix DMs. See README.md. */
export { SipConnector } from './connector.js';
export { sipConfigSchema, type SipConfig } from './config.js';
