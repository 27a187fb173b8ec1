/*
 * The marketplace room's public door: publishing and reading publications, and account groups.
 * Imports (another room) read publications only through `visiblePublication` and the
 * `queries.marketplace` read model.
 */
export {
  deprecatePublication,
  publicationIdOf,
  publish,
  visiblePublication,
  type MarketplaceServices,
  type PublishInput,
} from './publications';
export { acceptInvitation, createAccountGroup, inviteToAccountGroup } from './accountGroups';
