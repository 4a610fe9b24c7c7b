import { describe, expect, it } from 'vitest';
import { escapeHtml, html, joinHtml } from '../../src/web/html.ts';
import { signInRefusalLocation, signInRefusalMessage } from '../../src/web/sign-in-refusal.ts';
import { TesseraError } from '../../src/errors/tessera-error.ts';

describe('html templates', () => {
  it('escape every interpolated value, in text and in attributes', () => {
    const name = `<script>alert("x")</script> & 'y'`;
    expect(html`<td title="${name}">${name}</td>`.toString()).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>',
    );
  });

  it('keep nested templates as markup and escape the text inside them', () => {
    const rows = ['a<b', 'c'].map((cell) => html`<li>${cell}</li>`);
    // Whitespace between tags is the formatter's, not the template's business.
    const tight = (markup: string) => markup.replace(/>\s+</g, '><');
    expect(
      tight(
        html`<ul>
          ${rows}
        </ul>`.toString(),
      ),
    ).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
  });

  it('render false, null and undefined as nothing, numbers as text', () => {
    expect(html`${false}${null}${undefined}${0}${3}`.toString()).toBe('03');
  });

  it('never treat a string as markup, even one that looks like a template’s output', () => {
    const forged = html`<b>bold</b>`.toString();
    expect(html`${forged}`.toString()).toBe('&lt;b&gt;bold&lt;/b&gt;');
    expect(escapeHtml('`')).toBe('&#96;');
  });

  it('join pieces with an escaped separator', () => {
    expect(joinHtml([html`<i>a</i>`, 'b&c'], ' < ').toString()).toBe('<i>a</i> &lt; b&amp;c');
  });
});

describe('sign-in refusals for browsers', () => {
  it('a rate limit sends the wait along; the page says it in words', () => {
    const location = signInRefusalLocation(
      new TesseraError('rate_limited', 'Too many failed sign-in attempts. Retry later.', {
        retryAfterSeconds: 42,
      }),
    );
    expect(location).toBe('/users/sign_in?error=rate_limited&retry_after=42');
    const query = new URL(location, 'http://x').searchParams;
    expect(signInRefusalMessage(query.get('error')!, query.get('retry_after')!)).toBe(
      'Too many failed sign-in attempts. Sign-in is paused for this account and address. Try again in 42 seconds.',
    );
    expect(signInRefusalMessage('rate_limited', '600')).toMatch(/Try again in 10 minutes\.$/);
  });

  it('a wrong password and a missing field each get their own message; unknown reasons none', () => {
    expect(signInRefusalLocation(new TesseraError('unauthorized', 'Invalid login or password.'))).toBe(
      '/users/sign_in?error=invalid_login',
    );
    expect(signInRefusalMessage('invalid_login', '')).toBe('Invalid login or password.');
    expect(signInRefusalMessage('missing_field', '')).toBe(
      'Enter both your username (or email) and your password.',
    );
    expect(signInRefusalMessage('<script>', '')).toBeNull();
    expect(signInRefusalMessage('toString', '')).toBeNull();
  });
});
