// SOQL projection: turns a stored record into its REST JSON record (attributes, parent
// objects, child subquery results) following a plan's projection tree.

import type { ObjectDef, SoqlDataSource, StoredRecord } from "../_schema.ts";
import { type ChildQuery, orderAndPage, type ProjectionNode } from "./_plan.ts";
import type { SoqlRunOptions } from "./_evaluate.ts";

function parentType(targets: ObjectDef[], id: string): string {
  if (targets.length > 1) {
    const prefix = id.slice(0, 3);
    for (const t of targets) if (t.keyPrefix === prefix) return t.name;
  }
  return targets[0].name;
}

export function makeProjector(
  source: SoqlDataSource,
  options: SoqlRunOptions,
): (node: ProjectionNode, record: StoredRecord, type: string) => Record<string, unknown> {
  const urlBase = `/services/data/v${options.apiVersion.replace(/^v/, "")}/sobjects/`;
  function groups(children: ChildQuery): Map<string, StoredRecord[]> {
    if (children.groups !== undefined) return children.groups;
    const { plan, idField } = children;
    const where = plan.where;
    const grouped = new Map<string, StoredRecord[]>();
    for (const r of source.records(plan.root.name, options.includeDeleted)) {
      const parentId = r[idField];
      if (typeof parentId !== "string" || (where !== undefined && !where(r))) continue;
      const list = grouped.get(parentId);
      if (list === undefined) grouped.set(parentId, [r]);
      else list.push(r);
    }
    for (const [parentId, list] of grouped) {
      const rows = orderAndPage(plan, list);
      if (rows.length === 0) grouped.delete(parentId);
      else grouped.set(parentId, rows);
    }
    children.groups = grouped;
    return grouped;
  }
  function project(
    node: ProjectionNode,
    record: StoredRecord,
    type: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {
      attributes: { type, url: urlBase + type + "/" + record.Id },
    };
    const items = node.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind === "field") {
        out[item.key] = record[item.key] ?? null;
      } else if (item.kind === "parent") {
        const id = record[item.idField];
        const parent = typeof id === "string" ? source.byId(id) : undefined;
        out[item.key] = parent === undefined
          ? null
          : project(item.child, parent, parentType(item.targets, id as string));
      } else {
        const rows = groups(item.children).get(record.Id as string);
        if (rows === undefined) {
          out[item.key] = null;
        } else {
          const plan = item.children.plan;
          const records = new Array(rows.length);
          for (let j = 0; j < rows.length; j++) {
            records[j] = project(plan.projection, rows[j], plan.root.name);
          }
          out[item.key] = { totalSize: rows.length, done: true, records };
        }
      }
    }
    return out;
  }
  return project;
}
