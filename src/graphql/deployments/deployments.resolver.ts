import { Resolver } from 'type-graphql';

/** (Placeholder: filled in by the change that adds these operations.) */
@Resolver()
export class DeploymentResolver {}
