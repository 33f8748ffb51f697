import { assertNever } from '../../core/index.js';
import type { Expression, SelectItem } from './ast.js';

/** Calls `visit` on `expression` and every expression inside it, parents first. */
export function walkExpression(expression: Expression, visit: (node: Expression) => void): void {
  visit(expression);
  const walk = (child: Expression): void => walkExpression(child, visit);
  switch (expression.type) {
    case 'Literal':
    case 'Identifier':
    case 'Variable':
    case 'Payload':
      return;
    case 'Member':
      return walk(expression.object);
    case 'Index':
      walk(expression.object);
      return walk(expression.index);
    case 'Call':
      return expression.args.forEach(walk);
    case 'Unary':
      return walk(expression.operand);
    case 'Binary':
      walk(expression.left);
      return walk(expression.right);
    case 'Array':
      return expression.elements.forEach(walk);
    case 'Object':
      return expression.properties.forEach((p) => walk(p.value));
    case 'Case':
      walk(expression.subject);
      for (const w of expression.whens) {
        walk(w.when);
        walk(w.then);
      }
      if (expression.otherwise) walk(expression.otherwise);
      return;
    case 'Subquery':
      walkItems(expression.items, visit);
      walk(expression.from);
      if (expression.where) walk(expression.where);
      return;
    default:
      return assertNever(expression, 'expression');
  }
}

export function walkItems(items: readonly SelectItem[], visit: (node: Expression) => void): void {
  for (const item of items) if (item.type === 'SelectExpression') walkExpression(item.expression, visit);
}
