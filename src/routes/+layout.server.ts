import { getLocale } from '#lib/paraglide/runtime';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = () => ({ locale: getLocale() });
