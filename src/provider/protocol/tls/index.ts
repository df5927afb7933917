export { generateServerCertificate, handshakeCertField } from './certificate';
export type { ServerCertificate } from './certificate';
