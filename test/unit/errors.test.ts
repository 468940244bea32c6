import { describe, expect, it } from 'vitest';
import { AppError, fromWire, toWire, toAppError } from '../../src/lib/errors';

describe('errors', () => {
  it('round-trips through the wire form as the same class', () => {
    const err = new AppError('PDF_NO_TEXT', undefined, { file: 'a.pdf' });
    const back = fromWire(JSON.parse(JSON.stringify(toWire(err))));
    expect(back).toBeInstanceOf(AppError);
    expect(back.code).toBe('PDF_NO_TEXT');
    expect(back.details).toEqual({ file: 'a.pdf' });
  });
  it('maps unknown wire shapes to UNKNOWN', () => {
    expect(fromWire('boom').code).toBe('UNKNOWN');
    expect(fromWire({ code: 'NOT_A_CODE' }).code).toBe('UNKNOWN');
  });
  it('keeps abort errors recognizable', () => {
    expect(toAppError(new DOMException('x', 'AbortError')).code).toBe('ABORTED');
  });
});
