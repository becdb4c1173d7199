import { Curve, proto, WA_CERT_DETAILS, type KeyPair } from '@whiskeysockets/baileys';

/**
 * Builds the noise certificate chain sent in the ServerHello: an intermediate signed by an
 * emulator root and a leaf (the server's static key) signed by the intermediate.
 *
 * Baileys rc14 only enforces the intermediate's issuerSerial (it must equal WA_CERT_DETAILS.SERIAL,
 * and must be encoded explicitly because the proto default is null); its signature checks cannot
 * fail. The chain is still signed properly so a stricter Baileys only needs the root swapped in.
 */
export function makeCertChain(serverStatic: KeyPair, root: KeyPair = Curve.generateKeyPair()): Uint8Array {
  const intermediateKey = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const notAfter = now + 365 * 24 * 3600;
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: WA_CERT_DETAILS.SERIAL,
    key: intermediateKey.public,
    notBefore: now - 60,
    notAfter,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 60,
    notAfter,
  }).finish();
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKey.private, leafDetails) },
  }).finish();
}
