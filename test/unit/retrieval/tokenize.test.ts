// Tokenizer behaviour across scripts, plus the stop-word and stemming options.
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/lib/retrieval/tokenize';

describe('tokenize', () => {
  it('lowercases, drops English stop words and Porter-stems Latin words', () => {
    expect(tokenize('The Running of the Bulls is exciting')).toEqual(['run', 'bull', 'excit']);
    expect(tokenize('The Running', { stopWords: false, stem: false })).toEqual(['the', 'running']);
    expect(tokenize("The cat's hat doesn't fit", { stopWords: new Set(['cat', "doesn't"]) })).toEqual([
      'the',
      'hat',
      'fit',
    ]);
  });

  it('keeps numbers, decimals and abbreviations whole, splits on hyphens, strips possessives', () => {
    expect(tokenize("IL-6 rose 1.5-fold in 1,000 patients' samples; the patient's U.S. data", { stem: false })).toEqual(
      ['il', '6', 'rose', '1.5', 'fold', '1,000', 'patients', 'samples', 'patient', 'u.s', 'data'],
    );
  });

  it('folds Latin accents and compatibility forms so unaccented queries match', () => {
    expect(tokenize('Café naïve RÉSUMÉ Straße ﬁnance', { stem: false })).toEqual([
      'cafe',
      'naive',
      'resume',
      'strasse',
      'finance',
    ]);
    expect(tokenize('résumé')).toEqual(tokenize('resume'));
    expect(tokenize('Café', { foldDiacritics: false })).toEqual(['café']);
  });

  it('handles Cyrillic without stemming it, keeping й but folding ё', () => {
    expect(tokenize('Москва — столица России. Ёлка и йогурт')).toEqual([
      'москва',
      'столица',
      'россии',
      'елка',
      'и',
      'йогурт',
    ]);
  });

  it('handles Greek: strips tonos and unifies final sigma', () => {
    expect(tokenize('Η Αθήνα είναι ΠΟΛΗ της Ελλάδας')).toEqual(['η', 'αθηνα', 'ειναι', 'πολη', 'τησ', 'ελλαδασ']);
    expect(tokenize('ΕΛΛΑΔΑΣ')).toEqual(tokenize('Ελλάδας'));
  });

  it('splits CJK runs into overlapping bigrams, and mixed runs at the script boundary', () => {
    expect(tokenize('我爱北京')).toEqual(['我爱', '爱北', '北京']);
    expect(tokenize('東京タワー')).toEqual(['東京', '京タ', 'タワ', 'ワー']);
    expect(tokenize('한국어')).toEqual(['한국', '국어']);
    expect(tokenize('猫')).toEqual(['猫']);
    expect(tokenize('GPT模型')).toEqual(['gpt', '模型']);
    // A query bigram matches inside a longer document run.
    expect(tokenize('北京大学')).toContain(tokenize('北京')[0]);
  });

  it('normalizes Arabic diacritics, tatweel and alef forms', () => {
    expect(tokenize('اللُّغَةُ العربيـــة أحمد')).toEqual(['اللغة', 'العربية', 'احمد']);
    expect(tokenize('أحمد')).toEqual(tokenize('احمد'));
  });

  it('segments Thai with Intl.Segmenter when available', () => {
    const tokens = tokenize('ภาษาไทยง่าย');
    expect(tokens.join('')).toBe('ภาษาไทยง่าย');
    expect(tokens.length).toBeGreaterThan(1);
  });

  it('returns nothing for punctuation-only input', () => {
    expect(tokenize(' — !? ... ')).toEqual([]);
  });
});
