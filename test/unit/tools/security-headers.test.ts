// The security headers' one source: the policy's directives, the meta copy, extra model hosts, and the _headers file.
import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  headersFile,
  parseConnectSrc,
  securityHeaders,
} from '../../../tools/security-headers.mjs';

const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));

describe('security headers', () => {
  it('forbid framing, plugins, base and form targets, eval, and workers from anything but the app', () => {
    const csp = directives(securityHeaders()['Content-Security-Policy']!);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
    expect(csp.get('worker-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).not.toContain("'unsafe-eval'");
    expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
  });

  it('let the app reach only itself and the hub, plus the model hosts it is given', () => {
    expect(directives(contentSecurityPolicy()).get('connect-src')).toEqual([
      "'self'",
      'https://huggingface.co',
      'https://*.huggingface.co',
      'https://*.hf.co',
    ]);
    const extra = parseConnectSrc('https://models.example.org, http://localhost:4400');
    expect(
      directives(contentSecurityPolicy({ connectSrc: extra }))
        .get('connect-src')!
        .slice(-2),
    ).toEqual(extra);
  });

  it('refuse an extra host that is not a bare origin, so a typo cannot widen the policy', () => {
    expect(parseConnectSrc(undefined)).toEqual([]);
    for (const bad of ['*', 'https:', 'https://a.org/models', "'unsafe-eval'", 'a.org; script-src *']) {
      expect(() => parseConnectSrc(bad)).toThrow(/LECTERN_CONNECT_SRC/);
    }
  });

  it('leave frame-ancestors out of the meta copy only', () => {
    const header = contentSecurityPolicy();
    expect(contentSecurityPolicy({ forMeta: true })).toBe(header.replace("; frame-ancestors 'none'", ''));
  });

  it('write every header under one /* rule in _headers', () => {
    const headers = securityHeaders();
    const lines = headersFile(headers).split('\n');
    const rule = lines.indexOf('/*');
    expect(rule).toBeGreaterThan(-1);
    expect(lines.slice(rule + 1).filter(Boolean)).toEqual(Object.entries(headers).map(([k, v]) => `  ${k}: ${v}`));
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Referrer-Policy']).toBe('no-referrer');
    expect(headers['Permissions-Policy']).toMatch(/camera=\(\).*microphone=\(\)/);
  });
});
