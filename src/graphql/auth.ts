import type { AuthCheckerFn } from 'type-graphql';
import { holdsAnyRight, type Right } from '../domain/accounts/roles';
import { DomainError, ErrorCode } from '../domain/errors';
import type { GraphQLContext } from './context';

/**
 * type-graphql's authChecker: reads only the context. `@Authorized('designer')` lets a viewer with
 * that role through (`'observer'`: any role); a viewer without it gets FORBIDDEN naming what was
 * needed. Authentication itself happened before the request reached the schema.
 */
export const authChecker: AuthCheckerFn<GraphQLContext, Right> = ({ context, info }, rights) => {
  if (holdsAnyRight(context.viewer, rights)) return true;
  throw new DomainError(
    ErrorCode.FORBIDDEN,
    `${info.parentType.name}.${info.fieldName} needs the ${rights.map((r) => `'${r}'`).join(' or ')} ${rights.length > 1 ? 'rights' : 'right'}; this token has ${
      context.viewer.roles.length > 0 ? context.viewer.roles.map((r) => `'${r}'`).join(', ') : 'no roles'
    }`,
  );
};
