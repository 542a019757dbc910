import { App, type Authorize, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { config } from '../config.js';
import { logger } from '../log.js';
import { duplicateCommandReply, slackRetryGuard } from '../security/slack-retries.js';
import { type CommandContext, DuplicateDeliveryError, type Reply } from '../slack/command.js';
import { errorReply } from '../slack/errors.js';
import { InstallationNotFoundError } from '../slack/installation-store.js';
import { installProvider, installUrl } from '../slack/oauth.js';
import { slackLogger } from '../slack/slack-logger.js';
import { type TenantId, tenantOf } from '../store/keys.js';

/**
 * Tokens come from InstallProvider.authorize, which refreshes rotated tokens itself. A
 * workspace that has not installed the app gets a marked context instead of an error, so
 * the request is answered ("not installed") rather than dropped with a 500.
 */
const authorize: Authorize<boolean> = async (source) => {
  try {
    return await (await installProvider()).authorize(source);
  } catch (err) {
    const cause = (err as { original?: unknown; cause?: unknown }).original ?? (err as Error).cause ?? err;
    if (cause instanceof InstallationNotFoundError || err instanceof InstallationNotFoundError) {
      return { notInstalled: true };
    }
    throw err;
  }
};

function notInstalledReply(): Reply {
  return {
    response_type: 'ephemeral',
    text: `:wave: This workspace has not installed the WhatsApp onboarding app yet. An admin can install it here: ${installUrl()}`,
  };
}

/**
 * The command router, loaded by the first command (not at import) and then kept: a warm command
 * does not go through the module loader again. A failed load is retried by the next command.
 */
let router: Promise<typeof import('./router.js')> | undefined;
function loadRouter() {
  router ??= import('./router.js').catch((err: unknown) => {
    router = undefined;
    throw err;
  });
  return router;
}

/**
 * The catalog's interaction routes and the form door (every `form:` button and form), with the
 * job engine wired (a cancel updates the card), loaded by the first button, modal or shortcut
 * and then kept.
 */
type Routes = typeof import('./catalog.js') & { formDoor: typeof import('./form-door.js') };
let routes: Promise<Routes> | undefined;
function loadRoutes() {
  routes ??= Promise.all([import('./catalog.js'), import('./form-door.js'), import('./engine.js')])
    .then(([catalog, formDoor]) => ({ ...catalog, formDoor }))
    .catch((err: unknown) => {
      routes = undefined;
      throw err;
    });
  return routes;
}

/** The Bolt app, with the signing secret from src/slack/secrets.ts (functions/slack.ts reads it). */
export function createSlackApp(signingSecret: string) {
  const c = config();
  const receiver = new AwsLambdaReceiver({
    signingSecret,
    logger: slackLogger('bolt-receiver'),
    logLevel: LogLevel.WARN,
  });
  const app = new App({
    receiver,
    logger: slackLogger('bolt'),
    authorize,
    logLevel: LogLevel.WARN,
    ...(c.slack.apiUrl ? { clientOptions: { slackApiUrl: c.slack.apiUrl } } : {}),
  });

  app.use(async ({ context, ack, body, next }) => {
    if (context.notInstalled) {
      const isCommand = typeof (body as { command?: unknown }).command === 'string';
      if (ack) await (ack as (r?: unknown) => Promise<void>)(isCommand ? notInstalledReply() : undefined);
      return;
    }
    await next();
  });
  // Slack's retries (X-Slack-Retry-Num) of an event or interaction already handled stop here.
  app.use(slackRetryGuard);

  app.command('/wa', async ({ command, ack, context, client }) => {
    const tenant = tenantOf({
      teamId: command.team_id,
      enterpriseId: command.enterprise_id,
      isEnterpriseInstall: command.is_enterprise_install === 'true',
    });
    const ctx: CommandContext = {
      tenant,
      teamId: command.team_id,
      enterpriseId: command.enterprise_id,
      userId: command.user_id,
      channelId: command.channel_id,
      responseUrl: command.response_url,
      triggerId: command.trigger_id,
      teamDomain: command.team_domain,
      client,
      // Loaded on first use: the cold path holds Bolt and config, not the command surface.
      isAdmin: async () => (await import('../slack/permissions.js')).isAdmin(client, tenant, command.user_id),
      // Written while the command reads (slackRetryGuard); awaited before its first side effect.
      firstDelivery: context.firstDelivery as CommandContext['firstDelivery'],
    };
    let reply: Reply;
    try {
      reply = await (await loadRouter()).runCommand(command.text ?? '', ctx);
    } catch (err) {
      reply = err instanceof DuplicateDeliveryError ? duplicateCommandReply() : errorReply(err);
    }
    // A repeat is answered as one even when the command changed nothing (help, a usage error).
    if (ctx.firstDelivery && !(await ctx.firstDelivery())) reply = duplicateCommandReply();
    await ack(reply);
    void context;
  });

  // Buttons, modals and shortcuts go to the feature that owns their id (src/app/catalog.ts, from
  // each feature's manifest), loaded with the first one. Any other button (a link button) is
  // acknowledged, so Slack shows no error on it.
  app.action(/.*/, async (args) => {
    await args.ack();
    const id = (args.action as { action_id?: string }).action_id ?? '';
    const routes = await loadRoutes();
    const route = routes.actionRoutes.find((r) => id.startsWith(r.prefix));
    const handler = route
      ? await route.load()
      : id.startsWith('form:')
        ? routes.formDoor.formAction
        : undefined;
    const tenant = tenantFromBody(args.body);
    const onHome = (args.body as { view?: { type?: string } }).view?.type === 'home';
    if (onHome) {
      // App Home has no response_url and no ephemeral messages: the answer is a notice on the
      // tab, published again after the click changed what it changes.
      const [home, { actorOf }] = await Promise.all([import('./home.js'), import('../slack/service.js')]);
      const ctx = actorOf(args.body as never, args.client, tenant);
      const scope = id.startsWith('home:scope:')
        ? (id.slice('home:scope:'.length) as 'mine' | 'all')
        : home.scopeOf((args.body as { view?: { private_metadata?: string } }).view);
      await home.answerOnHome(
        { body: args.body as never, client: args.client, tenant },
        async (respond) => {
          if (handler) await handler(Object.assign(args, { tenant, respond }) as never);
        },
        ctx,
        scope === 'all' ? 'all' : 'mine',
      );
      return;
    }
    if (!handler) return;
    await handler(Object.assign(args, { tenant }) as never);
  });
  app.view(/.*/, async (args) => {
    const routes = await loadRoutes();
    const id = args.view.callback_id;
    const route = routes.viewRoutes.find((r) => id.startsWith(r.prefix));
    const handler = route
      ? await route.load()
      : id.startsWith('form:')
        ? routes.formDoor.formSubmit
        : undefined;
    if (!handler) return void (await args.ack());
    await handler(Object.assign(args, { tenant: tenantFromBody(args.body) }) as never);
  });
  app.shortcut(/^(?!wa:launcher$)/, async (args) => {
    const id = (args.shortcut as { callback_id?: string }).callback_id ?? '';
    const route = (await loadRoutes()).shortcutRoutes.find((r) => r.callbackId === id);
    await args.ack();
    if (!route) return;
    const handler = await route.load();
    await handler(Object.assign(args, { tenant: tenantFromBody(args.body) }) as never);
  });

  // The global shortcut "WhatsApp onboarding" opens the launcher, as `/wa` alone does.
  app.shortcut('wa:launcher', async ({ ack, body, client }) => {
    await ack();
    const tenant = tenantFromBody(body as never);
    const [{ actorOf }, { launcherView }] = await Promise.all([
      import('../slack/service.js'),
      import('./launcher.js'),
    ]);
    const ctx = actorOf(body as never, client, tenant);
    await client.views.open({ trigger_id: body.trigger_id, view: await launcherView(ctx) });
  });

  // App Home: a button per common action this person may take, then their jobs (src/app/home.ts).
  app.event('app_home_opened', async ({ event, client, body }) => {
    if (event.tab !== 'home') return;
    const tenant = tenantOf({
      teamId: (body as { team_id?: string }).team_id,
      enterpriseId: (body as { enterprise_id?: string }).enterprise_id,
    });
    const [home, { actorOf }] = await Promise.all([import('./home.js'), import('../slack/service.js')]);
    const ctx = actorOf({ user: { id: event.user } }, client, tenant);
    await home.publishHome(ctx, { scope: home.scopeOf(event.view as { private_metadata?: string }) });
  });

  app.error(async (err) => {
    logger.error('bolt error', { error: err as Error });
  });

  return { app, receiver };
}

function tenantFromBody(body: {
  team?: { id?: string } | null;
  enterprise?: { id?: string } | null;
  is_enterprise_install?: boolean;
}): TenantId {
  return tenantOf({
    teamId: body.team?.id,
    enterpriseId: body.enterprise?.id,
    isEnterpriseInstall: body.is_enterprise_install,
  });
}
