import { describe, expect, it } from 'vitest';
import { fillHtml, html, raw, SafeHtml } from './html.js';

describe('html template', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const name = `<script>alert("x")</script> & 'quotes'`;
    const out = html`<p title="${name}">${name}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.toString()).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ' +
        '&#39;quotes&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>',
    );
  });

  it('keeps SafeHtml and raw() as they are, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    const out = html`<ul>${items}</ul>${null}${undefined}${false}${raw('<hr>')}${0}`;
    expect(String(out)).toBe('<ul><li>a&lt;b</li><li>c</li></ul><hr>0');
  });

  it('fills a message with HTML placeholders, escaping the message itself', () => {
    const out = fillHtml('Signed in <{date}> & {who}', { date: html`<time>today</time>`, who: '<b>' });
    expect(String(out)).toBe('Signed in &lt;<time>today</time>&gt; &amp; &lt;b&gt;');
  });
});
