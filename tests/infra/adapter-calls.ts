// What an adapter's methods send to AWS, read from its source with the TypeScript compiler: the
// SDK commands each method constructs, the transaction items it writes, and what the methods it
// calls (its own, or another adapter's through a typed field) send in turn. The infra tests set
// this beside the access declarations, so a declaration cannot drift from the calls it describes.
// A loop of a method over what one of its module's functions returns is a part of the method,
// named `method/function` (savePatient/mergeCounters: the counter items of a save): a capability
// may name it, and what it sends is then that capability's, not the method's.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** How IAM names what a DynamoDB document-client command or transaction item does. */
const DYNAMODB_ACTIONS: Readonly<Record<string, string>> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Query: 'dynamodb:Query',
  Scan: 'dynamodb:Scan',
  BatchGet: 'dynamodb:BatchGetItem',
  BatchWrite: 'dynamodb:BatchWriteItem',
  TransactGet: 'dynamodb:GetItem',
};
/** A TransactWriteItems is authorized per item (the Put, Update, Delete and ConditionCheck keys above). */
const TRANSACT_ITEMS = new Set(['Put', 'Update', 'Delete', 'ConditionCheck']);

export interface AdapterSource {
  /** Project-relative path of the module. */
  readonly module: string;
  /** IAM service prefix of the SDK client it uses (`dynamodb`, `ses`, `states`, ...). */
  readonly service: string;
  /** Name of the exported declaration in that module, e.g. `PATHWAY_STORE_ACCESS`. */
  readonly declaration: string;
}

interface Method {
  readonly actions: Set<string>;
  readonly calls: Set<string>;
  readonly isPublic: boolean;
  /** Its loops over what a function of the module returns, by that function's name. */
  readonly parts: Map<string, Method>;
}

export interface AdapterCalls {
  /** The actions each method (`Class.method`, or a part `Class.method/function`) sends, its callees' and parts' included. */
  readonly reach: (method: string) => Set<string>;
  /**
   * The actions a capability's methods send: their reach, less the parts of them that a
   * capability of the module names (those send for that capability).
   */
  readonly sends: (module: string, capability: string) => Set<string>;
  /** Public methods of the module's classes that send anything. */
  readonly callingMethods: (module: string) => string[];
  /** Per capability of a module's declaration: the methods its doc comment names. */
  readonly capabilityMethods: (module: string) => Map<string, string[]>;
}

export function adapterCalls(root: string, adapters: readonly AdapterSource[]): AdapterCalls {
  const methods = new Map<string, Method>();
  const classesOf = new Map<string, string[]>();
  const capabilities = new Map<string, Map<string, string[]>>();
  const parsed = adapters.map((a) => ({ adapter: a, file: ts.createSourceFile(a.module, readFileSync(path.join(root, a.module), 'utf8'), ts.ScriptTarget.Latest, true) }));
  const adapterClasses = new Set(parsed.flatMap(({ file }) => file.statements.filter(ts.isClassDeclaration).map((c) => c.name?.text ?? '')));
  // A method, and each of its parts as `<method>/<function>`, called by the method.
  const register = (key: string, m: Method) => {
    methods.set(key, m);
    for (const [fn, part] of m.parts) {
      methods.set(`${key}/${fn}`, part);
      m.calls.add(`${key}/${fn}`);
    }
  };

  for (const { adapter, file } of parsed) {
    const functions = new Set(file.statements.filter(ts.isFunctionDeclaration).map((f) => f.name?.text ?? ''));
    const classes: string[] = [];
    for (const cls of file.statements.filter(ts.isClassDeclaration)) {
      const className = cls.name?.text ?? '';
      classes.push(className);
      // Fields typed as another adapter class (TeamStore's `audit: PathwayStore`), constructor parameters included.
      const fields = new Map<string, string>();
      const typed = (name: ts.PropertyName | ts.BindingName, type: ts.TypeNode | undefined) => {
        if (ts.isIdentifier(name) && type && ts.isTypeReferenceNode(type) && adapterClasses.has(type.typeName.getText(file))) fields.set(name.text, type.typeName.getText(file));
      };
      for (const member of cls.members) {
        if (ts.isPropertyDeclaration(member)) typed(member.name, member.type);
        if (ts.isConstructorDeclaration(member)) for (const p of member.parameters) typed(p.name, p.type);
      }
      for (const member of cls.members) {
        if (!ts.isMethodDeclaration(member) || !member.body) continue;
        const isPublic = !(ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private);
        register(`${className}.${member.name.getText(file)}`, collect(member.body, { file, adapter, functions, className, fields, isPublic }));
      }
    }
    // Module functions: what they send counts for the methods that call them.
    for (const fn of file.statements.filter(ts.isFunctionDeclaration)) {
      if (fn.body) register(`${adapter.module}#${fn.name?.text ?? ''}`, collect(fn.body, { file, adapter, functions, fields: new Map(), isPublic: false }));
    }
    classesOf.set(adapter.module, classes);
    capabilities.set(adapter.module, declaredMethods(file, adapter.declaration, new Set([...methods.keys()].filter((k) => classes.some((c) => k.startsWith(`${c}.`))).map((k) => k.split('.')[1] ?? ''))));
  }

  /** What `method` sends, its callees included, but not the parts in `claimed`. */
  const reachLess = (method: string, claimed: ReadonlySet<string>, seen = new Set<string>()): Set<string> => {
    const m = methods.get(method);
    const out = new Set(m?.actions ?? []);
    seen.add(method);
    for (const callee of m?.calls ?? []) if (!seen.has(callee) && !claimed.has(callee)) for (const a of reachLess(callee, claimed, seen)) out.add(a);
    return out;
  };
  const reach = (method: string) => reachLess(method, new Set());

  const capabilityMethods = (module: string) => {
    const cls = classesOf.get(module) ?? [];
    const byCapability = capabilities.get(module) ?? new Map<string, string[]>();
    // A method name in a comment is the adapter class's method of that name.
    return new Map([...byCapability].map(([c, names]) => [c, names.map((n) => `${cls.find((k) => methods.has(`${k}.${n}`)) ?? '?'}.${n}`)]));
  };

  return {
    reach,
    sends: (module, capability) => {
      const named = capabilityMethods(module);
      const parts = new Set([...named.values()].flat().filter((m) => m.includes('/')));
      return new Set((named.get(capability) ?? []).flatMap((m) => [...reachLess(m, parts)]));
    },
    callingMethods: (module) =>
      [...methods.entries()]
        .filter(([key, m]) => m.isPublic && (classesOf.get(module) ?? []).some((c) => key.startsWith(`${c}.`)) && reach(key).size > 0)
        .map(([key]) => key),
    capabilityMethods,
  };
}

interface Scope {
  readonly file: ts.SourceFile;
  readonly adapter: AdapterSource;
  /** The module's own functions, by name. */
  readonly functions: Set<string>;
  readonly className?: string;
  /** Fields typed as another adapter class, by name. */
  readonly fields: Map<string, string>;
  readonly isPublic: boolean;
}

/** The commands and transaction items a body sends, and the methods and functions it calls. */
function collect(body: ts.Node, scope: Scope): Method {
  const { file, adapter, functions, className, fields } = scope;
  const method = (isPublic: boolean): Method => ({ actions: new Set(), calls: new Set(), isPublic, parts: new Map() });
  const m = method(scope.isPublic);
  // `into` is the method, or the part whose loop the node is in.
  const visit = (into: Method) => (node: ts.Node): void => {
    // `for (const x of fn(...)) ...` over a function of the module: the loop, its iterable
    // included, is the part `fn` of the method (nested loops too are parts of the method).
    if (ts.isForOfStatement(node) && ts.isCallExpression(node.expression) && ts.isIdentifier(node.expression.expression) && functions.has(node.expression.expression.text)) {
      const name = node.expression.expression.text;
      const part = m.parts.get(name) ?? method(false);
      m.parts.set(name, part);
      ts.forEachChild(node, visit(part));
      return;
    }
    if (ts.isNewExpression(node)) {
      const command = /(\w+)Command$/.exec(node.expression.getText(file).split('.').at(-1) ?? '')?.[1];
      if (command && command !== 'TransactWrite') into.actions.add(adapter.service === 'dynamodb' ? (DYNAMODB_ACTIONS[command] ?? `dynamodb:unknown ${command}`) : `${adapter.service}:${command}`);
    }
    if (adapter.service === 'dynamodb' && ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && TRANSACT_ITEMS.has(node.name.text)) {
      into.actions.add(DYNAMODB_ACTIONS[node.name.text] ?? '');
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee) && functions.has(callee.text)) into.calls.add(`${adapter.module}#${callee.text}`);
      if (className && ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword) into.calls.add(`${className}.${callee.name.text}`);
      if (ts.isPropertyAccessExpression(callee) && ts.isPropertyAccessExpression(callee.expression) && callee.expression.expression.kind === ts.SyntaxKind.ThisKeyword) {
        const other = fields.get(callee.expression.name.text);
        if (other) into.calls.add(`${other}.${callee.name.text}`);
      }
    }
    ts.forEachChild(node, visit(into));
  };
  visit(m)(body);
  return m;
}

/**
 * The doc comment of each capability of `declaration`, reduced to the method names it mentions:
 * `method/function` names that part of the method (and not the method itself).
 */
function declaredMethods(file: ts.SourceFile, declaration: string, methodNames: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const statement = file.statements.filter(ts.isVariableStatement).find((s) => s.declarationList.declarations.some((d) => d.name.getText(file) === declaration));
  let init: ts.Node | undefined = statement?.declarationList.declarations[0]?.initializer;
  while (init && (ts.isSatisfiesExpression(init) || ts.isAsExpression(init))) init = init.expression;
  if (!init || !ts.isObjectLiteralExpression(init)) throw new Error(`${file.fileName}: no object literal ${declaration}`);
  for (const property of init.properties) {
    const name = property.name?.getText(file) ?? '';
    const comments = (ts.getLeadingCommentRanges(file.text, property.getFullStart()) ?? []).map((r) => file.text.slice(r.pos, r.end)).join(' ');
    const words = [...comments.matchAll(/\b[a-zA-Z]\w*(?:\/[a-zA-Z]\w*)*/g)].flatMap((m) => (methodNames.has(m[0]) ? [m[0]] : m[0].split('/')));
    out.set(name, [...new Set(words.filter((w) => methodNames.has(w)))]);
  }
  return out;
}
