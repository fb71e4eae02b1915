/** A strict, small XML reader for the ClickHouse configuration files: it rejects anything that is
 * not well-formed (mismatched or unclosed tags, several roots, bad attributes, stray `&` or `<`)
 * and returns the element tree. Enough for config files; no DTDs, no CDATA. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITY = /^&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkText(text: string, at: number): string {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bad entity at ${at + i}`);
  }
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipProlog = (): void => {
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0].length;
      i += ws;
      if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i);
        if (end === -1) throw new Error('unclosed processing instruction');
        i = end + 2;
      } else if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end === -1) throw new Error('unclosed comment');
        i = end + 3;
      } else return;
    }
  };
  skipProlog();
  while (i < src.length) {
    if (stack.length === 0 && root) {
      skipProlog();
      if (i < src.length) throw new Error(`content after the root element at ${i}`);
      break;
    }
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end === -1) throw new Error('unclosed comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      const m = NAME.exec(src.slice(i + 2));
      const top = stack.pop();
      if (!m || !top || m[0] !== top.name) throw new Error(`mismatched closing tag at ${i}: ${src.slice(i, i + 30)}`);
      i += 2 + m[0].length;
      const close = /^\s*>/.exec(src.slice(i));
      if (!close) throw new Error(`bad closing tag at ${i}`);
      i += close[0].length;
    } else if (src[i] === '<') {
      const m = NAME.exec(src.slice(i + 1));
      if (!m) throw new Error(`bad tag at ${i}`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      i += 1 + m[0].length;
      for (;;) {
        const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(src.slice(i));
        if (!attr) break;
        if (attr[1]! in el.attrs) throw new Error(`duplicate attribute ${attr[1]}`);
        el.attrs[attr[1]!] = checkText(attr[3] ?? attr[4] ?? '', i);
        i += attr[0].length;
      }
      const end = /^\s*(\/?)>/.exec(src.slice(i));
      if (!end) throw new Error(`bad tag at ${i}: ${src.slice(i, i + 30)}`);
      i += end[0].length;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new Error('more than one root element');
      else root = el;
      if (end[1] !== '/') stack.push(el);
    } else {
      const next = src.indexOf('<', i);
      const text = src.slice(i, next === -1 ? src.length : next);
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`text outside the root element at ${i}`);
      top.text += checkText(text, i);
      i = next === -1 ? src.length : next;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** The first element at a path of child names, e.g. child(root, 'profiles', 'grafana_readonly'). */
export function child(el: XmlElement, ...path: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = el;
  for (const name of path) cur = cur?.children.find((c) => c.name === name);
  return cur;
}
