import { DomainError } from '../../src/domain/errors';

/** The DomainError `run` throws, to assert its code, message and details together; anything else fails the test. */
export function domainErrorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, got none');
}
