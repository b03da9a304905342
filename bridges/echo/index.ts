/** The echo bridge: a network that says everything back. See README.md. */
export { EchoConnector, ECHO_USER, directChat } from './connector.js';
export { echoConfigSchema, type EchoConfig } from './config.js';
