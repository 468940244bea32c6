// AppError: codes, message templates, the wire form across workers, and abort recognition; and, over src/'s own
// text, that every throw site uses its code's template (no hand-written message) and passes each placeholder.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AppError, failureOf, fromWire, toWire, toAppError } from '../../src/lib/errors';
import { formatMessage } from '../../src/lib/errors/app-error';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '../../src/lib/errors/codes';

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

  it('names a general storage failure by what failed, and keeps a more specific error as it is', () => {
    const named = failureOf(new AppError('STORAGE_FAILED', undefined, { cause: 'disk gone' }), 'FEEDBACK_SAVE_FAILED');
    expect([named.code, named.message]).toEqual([
      'FEEDBACK_SAVE_FAILED',
      'Your feedback could not be saved. (disk gone)',
    ]);
    expect(failureOf(new Error('zip broke'), 'TRAINING_EXPORT_FAILED').message).toBe(
      'The training data could not be exported. (zip broke)',
    );
    expect(failureOf(new AppError('STORAGE_QUOTA'), 'FEEDBACK_SAVE_FAILED').code).toBe('STORAGE_QUOTA');
  });
});

/** The `{name}` placeholders of a code's template. */
function placeholders(code: ErrorCode): string[] {
  return [...ERROR_CODES[code].matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(e.name) ? [path] : [];
  });
}

const SRC = sourceFiles('src').map((path) => ({ path: relative('.', path), text: readFileSync(path, 'utf8') }));
/** The error module itself builds messages: toAppError appends the cause, fromWire restores a worker's message. */
const ERROR_MODULE = /^src\/lib\/errors\//;

describe('error codes', () => {
  it('fills every placeholder of every template from details that carry them', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const details = Object.fromEntries(placeholders(code).map((name) => [name, `<${name}>`]));
      expect(formatMessage(code, details), code).not.toMatch(/\{\w+\}/);
    }
  });

  it('has no throw site in src/ that overrides its code’s template with a message of its own', () => {
    const overrides = SRC.flatMap(({ path, text }) =>
      [...text.matchAll(/new AppError\(\s*'[A-Z_]+'\s*,\s*[`'"]/g)].map(
        (m) => `${path}:${text.slice(0, m.index).split('\n').length}`,
      ),
    );
    expect(overrides).toEqual([]);
  });

  it('passes every placeholder at each throw site, and falls back only to codes without placeholders', () => {
    const problems: string[] = [];
    for (const { path, text } of SRC) {
      if (!path.endsWith('.ts') || ERROR_MODULE.test(path)) continue;
      const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
      const where = (node: ts.Node) => `${path}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      /** The codes a code argument can be: a literal, or either side of a conditional between literals. */
      const codesOf = (node: ts.Expression | undefined): ErrorCode[] | null => {
        if (!node) return null;
        if (ts.isStringLiteral(node)) return isErrorCode(node.text) ? [node.text] : null;
        if (ts.isConditionalExpression(node)) {
          const [a, b] = [codesOf(node.whenTrue), codesOf(node.whenFalse)];
          return a && b ? [...a, ...b] : null;
        }
        return null;
      };
      const visit = (node: ts.Node): void => {
        if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'AppError') {
          const [codeArg, message, details] = node.arguments ?? [];
          if (message && !(ts.isIdentifier(message) && message.text === 'undefined')) {
            problems.push(`${where(node)}: passes a message; use the code's template`);
          }
          const keys = new Set<string>();
          if (details && ts.isObjectLiteralExpression(details)) {
            for (const p of details.properties) {
              if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && ts.isIdentifier(p.name)) {
                keys.add(p.name.text);
              }
            }
          }
          for (const code of codesOf(codeArg) ?? []) {
            const missing = placeholders(code).filter((name) => !keys.has(name));
            if (missing.length) problems.push(`${where(node)}: ${code} needs ${missing.join(', ')} in its details`);
          }
        }
        if (
          ts.isCallExpression(node) &&
          ts.isIdentifier(node.expression) &&
          ['toAppError', 'failureOf'].includes(node.expression.text)
        ) {
          for (const code of codesOf(node.arguments[1]) ?? []) {
            if (placeholders(code).length) problems.push(`${where(node)}: fallback ${code} has placeholders`);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect(problems).toEqual([]);
    expect(placeholders('UNKNOWN')).toEqual([]); // toAppError's default fallback
  });
});
