// The SOQL engine of the fake org (private): parse, validate against the schema, evaluate.
export { SoqlError } from "./soql_error.ts";
export {
  parseSoql,
  type SoqlCondition,
  type SoqlFieldPath,
  type SoqlLiteral,
  type SoqlOperator,
  type SoqlOrderItem,
  type SoqlQuery,
  type SoqlSelectItem,
} from "./_parser.ts";
export { rowValues, runSoql, type SoqlResult, type SoqlRunOptions } from "./_evaluate.ts";
export type { SoqlChildRelationships } from "./_plan.ts";
export { unescapeSoqlString } from "./_literals.ts";
