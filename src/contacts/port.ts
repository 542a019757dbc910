/**
 * What other features may use of contacts, on purpose: a template send reads recipients the way
 * contacts does and sends only to numbers with an active opt-in.
 */
export { parsePhoneList } from './phones.js';
export { activeOptIns } from './repository.js';
export { contactSettings } from './settings.js';
