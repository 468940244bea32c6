// XML parts of ZIP formats (EPUB, PPTX, ODT) over htmlparser2's element tree: names without namespace prefixes.
import { parseHtmlTree, type HtmlElement } from './html';

/** Parses XML text into the element tree; nothing is fetched, resolved or run. */
export function parseXml(xml: string): HtmlElement {
  return parseHtmlTree(xml, { xml: true });
}

/** The element or attribute name without its namespace prefix ("a:t" → "t"). */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** The attribute whose local name is `local`, whatever its prefix. */
export function attr(el: HtmlElement, local: string): string | undefined {
  for (const [name, value] of Object.entries(el.attribs)) if (localName(name) === local) return value;
  return undefined;
}

/** Direct child elements named `local`. */
export function childElements(el: HtmlElement, local?: string): HtmlElement[] {
  return el.children.filter(
    (c): c is HtmlElement => typeof c !== 'string' && (local === undefined || localName(c.name) === local),
  );
}

/** Descendant elements with one of the local names, in document order (matches are not searched inside). */
export function findAll(root: HtmlElement, local: string | readonly string[]): HtmlElement[] {
  const wanted = typeof local === 'string' ? [local] : local;
  const out: HtmlElement[] = [];
  const stack = childElements(root).reverse();
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (wanted.includes(localName(el.name))) {
      out.push(el);
      continue;
    }
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i]!;
      if (typeof c !== 'string') stack.push(c);
    }
  }
  return out;
}

/** The first descendant named `local`, if any. */
export function findFirstXml(root: HtmlElement, local: string): HtmlElement | undefined {
  return findAll(root, local)[0];
}

/** All text under the element, in order. */
export function xmlText(el: HtmlElement): string {
  let out = '';
  const stack: (HtmlElement | string)[] = [el];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node === 'string') {
      out += node;
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}
