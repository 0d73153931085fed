import { hkdfSync } from 'node:crypto';

/** Purpose-bound keys derived from the one configured secret (HKDF-SHA256), so no two uses share a key. */
export class KeyRing {
  constructor(private readonly secret: string) {}

  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, 'heating-express-lane', purpose, 32));
  }
}
