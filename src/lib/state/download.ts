// Saves a Blob the app made (an export) as a file: a download through an object URL.

/** Starts a download of `blob` through an object URL (revoked once the browser has taken it). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
