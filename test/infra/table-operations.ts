/**
 * Which DynamoDB operations a function's code can issue, found by reading the code: from the handler
 * module's exports, every function, method and arrow that the code can reach is walked (a call, a `new`,
 * or any reference to a function of the repository: a callback, a middleware, a getter handed to
 * perRuntime), and each `new <X>Command` of the DynamoDB SDK met on the way is one operation. References
 * are followed with the type checker, so `this.items.update(…)` leads to ItemStore.update and its
 * UpdateCommand. It errs on the side of more: a module-level value is walked whole, and a reached class
 * member is walked whatever the instance. What it cannot follow (a call through an interface, a function
 * outside the repository) is reported, so a grant never misses an operation silently.
 */
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** The SDK command classes the gateway may use (both the document client's and the low-level ones). */
export const DYNAMODB_COMMANDS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  TransactGetCommand: 'dynamodb:GetItem',
  TransactGetItemsCommand: 'dynamodb:GetItem',
  TransactWriteCommand: 'dynamodb:TransactWriteItems',
  TransactWriteItemsCommand: 'dynamodb:TransactWriteItems',
  DescribeTableCommand: 'dynamodb:DescribeTable',
};
const SDK_MODULES = /[/\\]node_modules[/\\]@aws-sdk[/\\](lib-dynamodb|client-dynamodb)[/\\]/;

export interface TableOperations {
  /** IAM actions, sorted. */
  actions: string[];
}

export function tableOperationAnalyzer(root: string) {
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const checker = program.getTypeChecker();
  const inRepository = (file: ts.SourceFile) =>
    !file.isDeclarationFile && !file.fileName.includes('node_modules') && file.fileName.startsWith(root);

  /** Every method, and property with a function value, of that name in the repository's code. */
  const byName = new Map<string, ts.Declaration[]>();
  for (const file of program.getSourceFiles()) {
    if (!inRepository(file)) continue;
    const collect = (node: ts.Node): void => {
      const named =
        (ts.isMethodDeclaration(node) ||
          (ts.isPropertyAssignment(node) &&
            (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) ||
          (ts.isPropertyDeclaration(node) &&
            node.initializer !== undefined &&
            (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer)))) &&
        (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name));
      if (named) {
        const name = (node.name as ts.Identifier).text;
        byName.set(name, [...(byName.get(name) ?? []), node as ts.Declaration]);
      }
      ts.forEachChild(node, collect);
    };
    collect(file);
  }
  const membersNamed = (name: string) => byName.get(name) ?? [];

  /** The declaration a name or expression refers to, through imports and re-exports. */
  function declarationsOf(node: ts.Node): ts.Declaration[] {
    let symbol = checker.getSymbolAtLocation(node);
    if (!symbol) return [];
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol.declarations ?? [];
  }

  function commandOf(node: ts.NewExpression): string | undefined {
    const name = ts.isIdentifier(node.expression)
      ? node.expression.text
      : ts.isPropertyAccessExpression(node.expression)
        ? node.expression.name.text
        : undefined;
    if (!name || !(name in DYNAMODB_COMMANDS)) return undefined;
    const fromSdk = declarationsOf(node.expression).some((d) => SDK_MODULES.test(d.getSourceFile().fileName));
    return fromSdk ? DYNAMODB_COMMANDS[name] : undefined;
  }

  /** What walking a reached declaration means: its body, initializer or class members. */
  function bodyOf(declaration: ts.Declaration): ts.Node | undefined {
    if (
      ts.isFunctionDeclaration(declaration) ||
      ts.isMethodDeclaration(declaration) ||
      ts.isConstructorDeclaration(declaration) ||
      ts.isGetAccessorDeclaration(declaration) ||
      ts.isSetAccessorDeclaration(declaration) ||
      ts.isArrowFunction(declaration) ||
      ts.isFunctionExpression(declaration)
    ) {
      return declaration.body;
    }
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) {
      return declaration.initializer;
    }
    if (ts.isPropertyAssignment(declaration)) return declaration.initializer;
    if (ts.isShorthandPropertyAssignment(declaration)) return declaration.name;
    if (ts.isClassDeclaration(declaration)) {
      // `new C()`: its constructor and field initializers (methods only when called).
      return declaration;
    }
    return undefined;
  }

  return {
    /** The operations `entry`'s exported handler can reach, and the references it could not follow. */
    analyse(entry: string): { actions: string[]; unresolved: string[] } {
      const source = program.getSourceFile(resolve(root, entry));
      if (!source) throw new Error(`${entry} is not part of the program`);
      const actions = new Set<string>();
      const unresolved = new Set<string>();
      const seen = new Set<ts.Node>();
      const queue: ts.Node[] = [source];

      const reach = (declaration: ts.Declaration) => {
        if (!inRepository(declaration.getSourceFile())) return;
        const body = ts.isClassDeclaration(declaration) ? declaration : bodyOf(declaration);
        if (body && !seen.has(body)) queue.push(body);
      };

      while (queue.length > 0) {
        const node = queue.pop()!;
        if (seen.has(node)) continue;
        seen.add(node);
        const visit = (child: ts.Node): void => {
          // A class reached by `new` (or walked whole as a module's value): constructor and fields only.
          if (ts.isClassDeclaration(child) && child !== node) return;
          if (ts.isNewExpression(child)) {
            const action = commandOf(child);
            if (action) actions.add(action);
          }
          if (ts.isClassDeclaration(node) && child === node) {
            for (const member of node.members) {
              if (ts.isConstructorDeclaration(member) && member.body) queue.push(member.body);
              if (ts.isPropertyDeclaration(member) && member.initializer) queue.push(member.initializer);
            }
            return;
          }
          if (ts.isIdentifier(child) || ts.isPrivateIdentifier(child)) {
            for (const declaration of declarationsOf(child)) {
              if (!inRepository(declaration.getSourceFile())) continue;
              if (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) {
                // A member of an interface or type: any implementation in the repository may run, so
                // every function-like member of that name is reached. A call none is found for is said.
                const implementations = membersNamed(child.text);
                for (const implementation of implementations) reach(implementation);
                const access: ts.Node | undefined = child.parent;
                const called =
                  access !== undefined &&
                  ts.isPropertyAccessExpression(access) &&
                  access.name === child &&
                  ts.isCallExpression(access.parent) &&
                  access.parent.expression === access;
                if (called && implementations.length === 0) unresolved.add(child.text);
                continue;
              }
              reach(declaration);
            }
          }
          ts.forEachChild(child, visit);
        };
        if (ts.isSourceFile(node)) {
          // The handler module as a whole: everything it runs at load or exports.
          ts.forEachChild(node, visit);
        } else {
          visit(node);
        }
      }
      return { actions: [...actions].sort(), unresolved: [...unresolved].sort() };
    },
  };
}

export const REPOSITORY = resolve(dirname(new URL(import.meta.url).pathname), '../..');
