/**
 * What analysts may run, judged on the engine's own parse of their query (`EXPLAIN AST` of the
 * text the engine formatted as one statement): an allow-list of statement kinds, parse-tree node
 * kinds, table functions, databases and system tables, and functions by the engine's own
 * categories. Everything else is refused with an error that names it.
 */
import { CallhouseError } from './errors.js';

export interface AstNode {
  kind: string;
  /** What follows the kind on its line (a function's or table's name, a literal), without the alias. */
  text: string;
  children: AstNode[];
}

/** Reads the engine's `EXPLAIN AST` dump; any line that does not fit the tree it announces is refused. */
export function parseAstDump(dump: string): AstNode {
  const lines = dump.replace(/\n+$/, '').split('\n');
  let i = 0;
  const unreadable = (): never => {
    throw new CallhouseError('USAGE', 'refused: the engine’s parse of this query could not be checked');
  };
  const node = (depth: number): AstNode => {
    const line = lines[i] ?? unreadable();
    const m = /^( *)([A-Za-z][\w:]*)(.*?)(?: \(children (\d+)\))?$/.exec(line);
    if (!m || m[1]!.length !== depth) return unreadable();
    i += 1;
    const text = m[3]!.replace(/ \(alias [^()\n]*\)$/, '').trim();
    const n: AstNode = { kind: m[2]!, text, children: [] };
    for (let c = 0; c < Number(m[4] ?? 0); c += 1) n.children.push(node(depth + 1));
    return n;
  };
  const root = node(0);
  if (i !== lines.length) unreadable();
  return root;
}

export interface FunctionCatalogue {
  /** Every function the engine knows, by name (lower case for case-insensitive ones), with its categories. */
  functions: Map<string, { categories: string | undefined; aggregate: boolean }>;
  /** Every table function the engine knows. */
  tableFunctions: Set<string>;
}

export interface AllowContext {
  database: string;
  catalogue: FunctionCatalogue;
}

const STATEMENTS = new Set([
  'SelectWithUnionQuery',
  'ShowTables',
  'ShowColumns',
  'DescribeQuery',
  'ExistsTableQuery',
  'ShowCreateTableQuery',
  'Explain',
]);

// Parse-tree node kinds of a SELECT. A kind not listed (INSERT, SET, a new clause) is refused.
const NODE_KINDS = new Set([
  'SelectWithUnionQuery',
  'SelectIntersectExceptQuery',
  'SelectQuery',
  'ExpressionList',
  'Literal',
  'Identifier',
  'Asterisk',
  'QualifiedAsterisk',
  'ColumnsRegexpMatcher',
  'ColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher',
  'QualifiedColumnsListMatcher',
  'ColumnsTransformerList',
  'ColumnsExceptTransformer',
  'ColumnsReplaceTransformer',
  'ColumnsReplaceTransformer::Replacement',
  'ColumnsApplyTransformer',
  'Function',
  'Lambda',
  'TablesInSelectQuery',
  'TablesInSelectQueryElement',
  'TableExpression',
  'TableIdentifier',
  'TableJoin',
  'ArrayJoin',
  'Subquery',
  'WithElement',
  'OrderByElement',
  'InterpolateElement',
  'WindowDefinition',
  'WindowListElement',
  'SampleRatio',
  'QueryParameter',
  'DataType',
  'NameTypePair',
  'ColumnDeclaration',
]);

/** Table functions that make rows inside the engine and read nothing outside it. */
export const TABLE_FUNCTIONS = new Set([
  'numbers',
  'numbers_mt',
  'generate_series',
  'generateSeries',
  'values',
  'view',
  'generateRandom',
  'null',
]);

/** Databases besides the warehouse's own: `system`, for these catalogue tables only. */
export const SYSTEM_TABLES = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'tables',
  'columns',
  'databases',
  'functions',
  'table_functions',
  'data_type_families',
  'time_zones',
  'parts',
]);

/** Function categories (the engine's `system.functions.categories`) whose functions compute on values only. */
const SAFE_CATEGORIES = new Set([
  'Aggregate Functions',
  'Type Conversion',
  'Dates and Times',
  'Arrays',
  'String',
  'Geo',
  'Hash',
  'String Search',
  'JSON',
  'URL',
  'Mathematical',
  'Arithmetic',
  'Geo Polygon',
  'Map',
  'IP Address',
  'Comparison',
  'Tuple',
  'Distance',
  'Random Number',
  'Bitmap',
  'Time Series',
  'NumericIndexedVector',
  'Bit',
  'Encoding',
  'UUID',
  'String Splitting',
  'String Replacement',
  'Null',
  'Rounding',
  'Time Window',
  'Encryption',
  'Conditional',
  'Financial',
  'Logical',
  'QBit',
]);

// Of the engine's uncategorised ("Other") functions, those that compute on values or describe the
// query. Not here, among others: file, catboostEvaluate, joinGet, hasColumnInTable,
// getServerSetting, getMacro, filesystem*, generateSerialID (writes to Keeper).
const OTHER_FUNCTIONS = new Set(
  (
    'bar blockNumber blockSize byteSize countDigits currentDatabase currentUser defaultValueOfArgumentType ' +
    'defaultValueOfTypeName dumpColumnStructure errorCodeToName finalizeAggregation formatQuery formatQueryOrNull ' +
    'formatQuerySingleLine formatQuerySingleLineOrNull formatReadableDecimalSize formatReadableQuantity ' +
    'formatReadableSize formatReadableTimeDelta getSetting getSettingOrDefault getSizeOfEnumType getSubcolumn ' +
    'identity ignore indexHint initializeAggregation isConstant isDecimalOverflow materialize ' +
    'minSampleSizeContinuous minSampleSizeConversion neighbor normalizeQuery normalizeQueryKeepNames ' +
    'normalizedQueryHash normalizedQueryHashKeepNames parseReadableSize parseReadableSizeOrNull ' +
    'parseReadableSizeOrZero parseTimeDelta rowNumberInAllBlocks rowNumberInBlock runningAccumulate ' +
    'runningDifference runningDifferenceStartingWithFirstValue sleep sleepEachRow throwIf toColumnTypeName ' +
    'toTypeName transform variantElement variantType version visibleWidth MACNumToString MACStringToNum ' +
    'MACStringToOUI colorOKLABToSRGB colorOKLCHToSRGB colorSRGBToOKLAB colorSRGBToOKLCH flipCoordinates ' +
    'lambda tuple array'
  ).split(' '),
);

// Functions that name a table as their argument (`x IN db.t`).
const TABLE_ARGUMENT = new Set(['in', 'notIn', 'globalIn', 'globalNotIn', 'nullIn', 'notNullIn', 'globalNullIn']);

const AGGREGATE_COMBINATORS = [
  'SimpleState',
  'MergeState',
  'OrDefault',
  'ForEach',
  'Distinct',
  'Resample',
  'ArgMin',
  'ArgMax',
  'OrNull',
  'State',
  'Merge',
  'Array',
  'Map',
  'If',
];

const refuse = (what: string): never => {
  throw new CallhouseError('USAGE', `refused: ${what}`);
};

/** Throws a refusal naming the first thing in the parse that analysts may not use. */
export function checkAnalystAst(root: AstNode, ctx: AllowContext): void {
  if (!STATEMENTS.has(root.kind))
    refuse(`${statementName(root)} (analysts may run SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN)`);
  if (root.kind === 'Explain') {
    const inner = root.children.filter((c) => c.kind !== 'Set');
    if (inner.length !== root.children.length) refuse('a SETTINGS clause (the analyst settings are fixed)');
    if (inner.length !== 1) refuse(clauseName(root.children));
    if (!STATEMENTS.has(inner[0]!.kind) || inner[0]!.kind === 'Explain')
      refuse(`EXPLAIN of ${statementName(inner[0]!)}`);
    return checkAnalystAst(inner[0]!, ctx);
  }
  if (root.kind === 'SelectWithUnionQuery') return walk(root, ctx, false);
  // SHOW, DESCRIBE, EXISTS: a table or database name, nothing after it.
  if (root.kind === 'ShowCreateTableQuery' || root.kind === 'ExistsTableQuery') {
    const parts = root.text.split(/\s+/).filter(Boolean);
    if (parts.length === 2) checkTable(parts.join('.'), ctx);
  }
  for (const c of root.children) {
    if (c.kind === 'TableExpression') walk(c, ctx, false);
    else if (c.kind !== 'Identifier') refuse(clauseName([c]));
    else if (root.kind === 'ShowTables' && c.text !== ctx.database && c.text !== 'system')
      refuse(`database ${c.text} (analysts read the ${ctx.database} database)`);
  }
}

function walk(n: AstNode, ctx: AllowContext, inTable: boolean): void {
  if (n.kind === 'Set') refuse('a SETTINGS clause (the analyst settings are fixed)');
  if (!NODE_KINDS.has(n.kind)) refuse(`${n.kind} in a query`);
  if (n.kind === 'SelectWithUnionQuery' && n.children.length !== 1) refuse(clauseName(n.children.slice(1)));
  if (n.kind === 'TableIdentifier') checkTable(n.text, ctx);
  if (n.kind === 'Function') {
    const name = n.text.split(' ')[0]!;
    if (inTable) checkTableFunction(name, ctx);
    else checkFunction(name, ctx);
    if (TABLE_ARGUMENT.has(name)) {
      const table = n.children[0]?.children[1];
      if (table?.kind === 'Identifier') checkTable(table.text, ctx);
    }
  }
  for (const c of n.children) walk(c, ctx, n.kind === 'TableExpression' && c.kind === 'Function');
}

function checkTableFunction(name: string, ctx: AllowContext): void {
  if (TABLE_FUNCTIONS.has(name)) return;
  const known = ctx.catalogue.tableFunctions.has(name);
  refuse(
    `table function ${name}${known ? ' (it reaches outside the warehouse)' : ''}; analysts may use ${[...TABLE_FUNCTIONS].join(', ')}`,
  );
}

function checkFunction(name: string, ctx: AllowContext): void {
  // A name that is also a table function outside the allow-list is refused in any position.
  if (ctx.catalogue.tableFunctions.has(name) && !TABLE_FUNCTIONS.has(name) && !OTHER_FUNCTIONS.has(name))
    refuse(`function ${name} (it reaches outside the warehouse)`);
  if (OTHER_FUNCTIONS.has(name)) return;
  const entry = lookUp(name, ctx.catalogue);
  if (!entry) refuse(`function ${name} (not one the engine lists)`);
  // A catalogue without categories (an older server) leaves the categories to the named refusals below.
  if (entry!.categories === undefined) {
    if (OUTSIDE.test(name)) refuse(`function ${name} (it reaches outside the warehouse)`);
    return;
  }
  const cats = entry!.categories.split(/,\s*/).filter(Boolean);
  if (cats.length > 0 && cats.every((c) => SAFE_CATEGORIES.has(c))) return;
  refuse(`function ${name} (${cats.join(', ') || 'uncategorised'}: not on the analyst allow-list)`);
}

const OUTSIDE =
  /^(file|catboostEvaluate|joinGet|joinGetOrNull|hasColumnInTable|getServerSetting|getMacro|generateSerialID|ai[A-Z]\w*|dict\w+|filesystem\w+|addressTo\w+|demangle|evalMLMethod|naiveBayes\w*|showCertificate|getClientHTTPHeader)$/;

function lookUp(
  name: string,
  cat: FunctionCatalogue,
): { categories: string | undefined; aggregate: boolean } | undefined {
  const direct = cat.functions.get(name) ?? cat.functions.get(name.toLowerCase());
  if (direct) return direct;
  // An aggregate function with combinators (sumIf, uniqMergeState, avgOrNullIf).
  for (const suffix of AGGREGATE_COMBINATORS) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      const base = lookUp(name.slice(0, -suffix.length), cat);
      if (base?.aggregate) return base;
    }
  }
  return undefined;
}

function checkTable(text: string, ctx: AllowContext): void {
  const parts = text.split('.');
  if (parts.length === 1) return;
  if (parts.length !== 2) refuse(`table ${text} (a name with a dot in it)`);
  const [db, table] = parts as [string, string];
  if (db === ctx.database) return;
  if (db === 'system' && SYSTEM_TABLES.has(table)) return;
  if (db === 'system') refuse(`system.${table} (analysts may read system.${[...SYSTEM_TABLES].join(', system.')})`);
  refuse(`database ${db} (analysts read the ${ctx.database} database)`);
}

function statementName(n: AstNode): string {
  return `a statement of kind ${n.kind.replace(/Query$/, '').toUpperCase()}`;
}

function clauseName(extra: AstNode[]): string {
  const c = extra[0];
  if (!c) return 'an empty EXPLAIN';
  if (c.kind === 'Literal') return 'INTO OUTFILE (results go to the caller only)';
  if (c.kind === 'Identifier') return 'a FORMAT clause (choose the output format with --format)';
  if (c.kind === 'Set') return 'a SETTINGS clause (the analyst settings are fixed)';
  return `${c.kind} after the query`;
}
