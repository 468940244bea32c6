// Types for tools/security-headers.mjs, so vite.config.ts and the e2e tests import it checked.
export declare const HUB_ORIGINS: string[];
export declare function parseConnectSrc(list: string | undefined): string[];
export declare function contentSecurityPolicy(options?: { connectSrc?: string[]; forMeta?: boolean }): string;
export declare function securityHeaders(options?: { connectSrc?: string[] }): Record<string, string>;
export declare function headersFile(headers: Record<string, string>): string;
