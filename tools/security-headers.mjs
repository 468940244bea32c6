// The one source of the app's security headers (CSP, framing, sniffing, referrer, permissions), for the build, Vite and the test server.

/**
 * Where the default registry's model files come from: the hub answers small files itself and redirects large (LFS and
 * Xet) files to its CDN hosts (cdn-lfs.huggingface.co, cdn-lfs.hf.co, cdn-lfs-us-1.hf.co, cas-bridge.xethub.hf.co, …).
 * CSP checks every redirect hop, so the CDN hosts must be allowed too; the wildcards keep working when the hub moves
 * files between its CDN hosts, and stay inside domains the hub owns.
 */
export const HUB_ORIGINS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];

/**
 * Extra model hosts, from a space- or comma-separated list (LECTERN_CONNECT_SRC): each must be a bare origin such as
 * `https://models.example.org` or `http://localhost:4400`, so a typo cannot open the policy wider than meant.
 * @param {string | undefined} list
 * @returns {string[]}
 */
export function parseConnectSrc(list) {
  const origins = (list ?? '').split(/[\s,]+/).filter(Boolean);
  for (const o of origins) {
    if (!/^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(o)) {
      throw new Error(`LECTERN_CONNECT_SRC: "${o}" is not an origin like https://models.example.org`);
    }
  }
  return origins;
}

/**
 * The CSP directives. `frame-ancestors` is left out when `forMeta`: a `<meta>` policy cannot carry it (browsers ignore
 * it there with a warning), so only the header stops framing.
 * @param {{ connectSrc?: string[], forMeta?: boolean }} [options]
 * @returns {string}
 */
export function contentSecurityPolicy({ connectSrc = [], forMeta = false } = {}) {
  const directives = [
    ["default-src 'self'"],
    // 'wasm-unsafe-eval' compiles ONNX Runtime's and Voy's WASM; no 'unsafe-eval': nothing in the app needs eval.
    // blob: because transformers.js caches ONNX Runtime's loader (ort/*.mjs, our own file) in the Cache API and
    // imports it from a blob: URL (loadWasmFactory); without it no model loads. Only code already running can make one.
    ["script-src 'self' 'wasm-unsafe-eval' blob:"],
    // Every worker, and the offline copy's service worker (sw.js), is a script of the app's own origin.
    ["worker-src 'self'"],
    // Svelte's style: directives set style attributes.
    ["style-src 'self' 'unsafe-inline'"],
    ["img-src 'self' data: blob:"],
    ["font-src 'self'"],
    [`connect-src 'self' ${[...HUB_ORIGINS, ...connectSrc].join(' ')}`],
    ["object-src 'none'"],
    ["base-uri 'none'"],
    ["form-action 'none'"],
    ...(forMeta ? [] : [["frame-ancestors 'none'"]]),
  ];
  return directives.map((d) => d[0]).join('; ');
}

/** Features the app never uses, switched off for it and for anything it might embed. */
const PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'browsing-topics',
  'camera',
  'display-capture',
  'geolocation',
  'gyroscope',
  'hid',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'publickey-credentials-get',
  'serial',
  'usb',
  'xr-spatial-tracking',
]
  .map((f) => `${f}=()`)
  .join(', ');

/**
 * Every header, by name, for every response of the app.
 * @param {{ connectSrc?: string[] }} [options]
 * @returns {Record<string, string>}
 */
export function securityHeaders({ connectSrc = [] } = {}) {
  return {
    'Content-Security-Policy': contentSecurityPolicy({ connectSrc }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': PERMISSIONS_POLICY,
    'X-Frame-Options': 'DENY',
  };
}

/**
 * The headers as a Netlify / Cloudflare Pages `_headers` file: one rule for every path.
 * @param {Record<string, string>} headers
 * @returns {string}
 */
export function headersFile(headers) {
  const lines = Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`);
  return [
    '# Security headers for every response (generated from tools/security-headers.mjs at build time).',
    '# To load models from your own host, add its origin to connect-src below, or rebuild with',
    '# LECTERN_CONNECT_SRC="https://models.example.org" npm run build.',
    '/*',
    ...lines,
    '',
  ].join('\n');
}
