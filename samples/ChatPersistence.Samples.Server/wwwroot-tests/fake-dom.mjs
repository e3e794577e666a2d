// A minimal document for the renderer's Node tests: elements and text nodes with the handful of DOM methods markdown.js
// uses (createElement, createTextNode, setAttribute, append, insertBefore, removeChild, textContent, addEventListener).
// It has no HTML parser at all — nothing a test renders can become markup by accident.

class FakeNode {
  constructor(ownerDocument) {
    this.ownerDocument = ownerDocument;
    this.parentNode = null;
    this.childNodes = [];
  }

  get lastChild() { return this.childNodes[this.childNodes.length - 1] ?? null; }

  append(...nodes) {
    for (const node of nodes) this.insertBefore(typeof node === "string" ? this.ownerDocument.createTextNode(node) : node, null);
  }

  insertBefore(node, reference) {
    if (node.parentNode) node.parentNode.removeChild(node);
    const at = reference === null ? this.childNodes.length : this.childNodes.indexOf(reference);
    if (at < 0) throw new Error("reference is not a child");
    this.childNodes.splice(at, 0, node);
    node.parentNode = this;
    return node;
  }

  removeChild(node) {
    const at = this.childNodes.indexOf(node);
    if (at < 0) throw new Error("not a child");
    this.childNodes.splice(at, 1);
    node.parentNode = null;
    return node;
  }
}

class FakeText extends FakeNode {
  constructor(ownerDocument, data) {
    super(ownerDocument);
    this.nodeType = 3;
    this.data = String(data);
  }

  get textContent() { return this.data; }
}

class FakeElement extends FakeNode {
  constructor(ownerDocument, tagName) {
    super(ownerDocument);
    this.nodeType = 1;
    this.tagName = tagName.toUpperCase();
    this.attributes = new Map();
    this.listeners = new Map();
  }

  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  removeAttribute(name) { this.attributes.delete(name); }

  addEventListener(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(listener);
  }

  click() { for (const listener of this.listeners.get("click") ?? []) listener({ type: "click", target: this }); }

  get textContent() { return this.childNodes.map(n => n.textContent).join(""); }

  set textContent(value) {
    for (const child of this.childNodes) child.parentNode = null;
    this.childNodes = value === "" || value === null || value === undefined ? [] : [new FakeText(this.ownerDocument, value)];
  }

  get children() { return this.childNodes.filter(n => n.nodeType === 1); }

  /** Every element below this one (depth first). */
  *descendants() {
    for (const child of this.children) {
      yield child;
      yield* child.descendants();
    }
  }

  querySelectorAll(tag) { return [...this.descendants()].filter(e => e.tagName === tag.toUpperCase()); }
}

export function createDocument() {
  const doc = {
    createElement: tag => new FakeElement(doc, tag),
    createTextNode: data => new FakeText(doc, data),
  };
  return doc;
}
