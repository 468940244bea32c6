// AppError: codes, message templates, the wire form across workers, and abort recognition.
import { describe, expect, it } from 'vitest';
import { AppError, fromWire, toWire, toAppError } from '../../src/lib/errors';
import { ERROR_CODES } from '../../src/lib/errors/codes';

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
  it('fills a message template from the details, and leaves a missing one visible', () => {
    expect(new AppError('MODEL_NOT_LOADED', undefined, { role: 'answer' }).message).toBe(
      'The answer model is not loaded yet.',
    );
    expect(new AppError('MODEL_NOT_LOADED').message).toBe('The {role} model is not loaded yet.');
    expect(new AppError('MODEL_NOT_LOADED', 'Custom.', { role: 'answer' }).message).toBe('Custom.');
    expect(toAppError(new Error('boom'), 'QUESTION_TOO_LONG').message).toBe(
      'The question is too long for the answer model. (boom)',
    );
  });
  it('has one plain message per code, none shared', () => {
    const messages = Object.values(ERROR_CODES);
    expect(new Set(messages).size).toBe(messages.length);
  });
  it('keeps abort errors recognizable', () => {
    expect(toAppError(new DOMException('x', 'AbortError')).code).toBe('ABORTED');
  });
});
