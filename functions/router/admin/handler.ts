/** The admin function (key administration and the cutover view on AWS; see app.ts). */
import { createAdminDeps } from './default-deps';
import { createAdminHandler } from './lambda-handler';

export const handler = createAdminHandler(createAdminDeps());
