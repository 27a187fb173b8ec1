import packageJson from '../package.json';

/** The running build's version, from package.json. */
export const SERVICE_VERSION: string = packageJson.version;
