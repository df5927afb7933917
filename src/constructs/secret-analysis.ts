/**
 * Whether a string (usually a token) derives from a secret, judged by the guard's rules
 * (src/lint/secret-sources.ts) against the stack's variables and locals. Used at synthesis by
 * constructs that mark things sensitive automatically.
 */
import {
  DefaultTokenResolver,
  StringConcat,
  TerraformLocal,
  TerraformStack,
  TerraformVariable,
  Token,
  Tokenization,
} from 'cdktn';
import type { IConstruct } from 'constructs';
import { parseTemplate } from '../lint/hcl';
import { emptyModule, jsonToExpr } from '../lint/model';
import { SecretSources } from '../lint/secret-sources';
import { SecretVariable } from './secret-value';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** Resolves tokens the way synthesis does (`${var.x}`). */
export function resolveIn(scope: IConstruct, value: unknown): unknown {
  return Tokenization.resolve(value, { scope, resolver: RESOLVER });
}

/** Why `value` derives from a secret (`var.x (sensitive)`), or undefined. */
export function secretReasonOf(scope: IConstruct, value: string): string | undefined {
  if (!Token.isUnresolved(value)) return undefined;
  const stack = TerraformStack.of(scope);
  const resolved = resolveIn(stack, value);
  if (typeof resolved !== 'string') return undefined;
  const loc = { file: 'cdk.tf.json' };
  const model = emptyModule();
  for (const node of stack.node.findAll()) {
    if (node instanceof TerraformVariable) {
      model.variables.push({
        name: node.friendlyUniqueId,
        sensitive: node.sensitive === true,
        ephemeral: node instanceof SecretVariable ? node.ephemeral : false,
        loc,
      });
    } else if (node instanceof TerraformLocal) {
      // `expression` reads back as a reference to the local itself; toTerraform() has the value.
      const synthesized = resolveIn(stack, node.toTerraform()) as { locals?: Record<string, unknown> };
      model.locals.push({
        name: node.friendlyUniqueId,
        value: jsonToExpr(synthesized.locals?.[node.friendlyUniqueId] ?? null, loc),
        loc,
      });
    }
  }
  return new SecretSources(model).secretReason(parseTemplate(resolved, loc));
}
