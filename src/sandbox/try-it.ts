import { config } from '../config.js';
import { SAMPLE_DOCUMENT_PATH } from './control-plane.js';
import { SANDBOX_TEMPLATE_ID } from './providers/cm-sign.js';
import { META_CLOUD_OTP } from './providers/meta-cloud.js';
import { SANDBOX_OTP } from './providers/vonage.js';

/**
 * What the provider sandboxes are scripted to do, for the console's "Try it" panel
 * (`GET /_sandbox/try`). Kept beside the sandboxes' own constants so the panel says what the code
 * does; test/sandbox/console-clock.browser.test.ts walks through the scripted paths.
 */
export function tryIt() {
  const sampleUrl = `${config().publicUrl}${SAMPLE_DOCUMENT_PATH}`;
  return {
    facts: [
      {
        provider: 'Time',
        text: 'Tick = one scheduler period (the clock moves 60 s and what is due runs). +1 h, +1 day and +7 days run every due step on the way, in order.',
      },
      {
        provider: 'Vonage',
        text: `a deployment moves one state per poll (one Tick) to CODE_SENT; the code ${SANDBOX_OTP} takes it to READY, any other code is WRONG_CODE (try again); a certificate starting with "invalid" ends in ERROR.`,
      },
      {
        provider: 'WhatsApp Cloud API',
        text: `deploy start --via cloud adds the number to the WABA and asks for a code at once (CODE_SENT); ${META_CLOUD_OTP} verifies it, then the PIN is set and the number registered (READY), any other code is explained and it keeps waiting; a number ending 0000 never receives its code; more than 5 code requests an hour are refused (136024); 10 registrations in 72 hours, then 133016; a display name containing "reject" is declined at review, announced by webhook a Tick after registration.`,
      },
      {
        provider: 'CM.com Sign',
        text: `the template ${SANDBOX_TEMPLATE_ID} is a document to sign, and so is the PDF this stack serves at ${sampleUrl} (the signing form's placeholder; give exactly one of URL, Slack file or template); an invite is viewed, then signed, over successive Ticks; a WhatsApp invite to a number ending 0000 is undelivered (resend by email works); reminders and expiry come with the clock (+1 day).`,
      },
      {
        provider: 'Zavu',
        text: 'a partner invitation goes pending → in_progress → completed over successive Ticks; past its expiry it reads as expired, silently.',
      },
      {
        provider: 'CM.com Channels',
        text: 'welcome_message and order_update are approved; appointment_reminder is pending and approved after a few polls; holiday_hours is pending and rejected; flash_sale is rejected; account_alert and feedback_survey are drafts (submit them).',
      },
      {
        provider: 'CommBox',
        text: 'a number ending 0000 is not on WhatsApp; any other is. A number must have an opt-in before it is verified or messaged.',
      },
    ],
    samples: [
      { command: '/wa help', why: 'every command' },
      {
        command: '/wa invite partner "Acme Foods" --email ops@acme.example',
        why: 'completes in a few Ticks',
      },
      {
        command: `/wa invite sign "Ana Silva" ana@example.com +31612345678 --template ${SANDBOX_TEMPLATE_ID} --expires 3`,
        why: 'reminder and expiry after +1 day clicks',
      },
      {
        command: `/wa invite sign "Ben Bakker" ben@example.com +31612345679 --url ${sampleUrl}`,
        why: 'a PDF by URL: this stack serves it',
      },
      {
        command: '/wa template watch 11111111-1111-4111-8111-000000000003',
        why: 'pending, approved after a few polls (+1 h)',
      },
      { command: '/wa template list', why: 'the seeded templates' },
      { command: '/wa contact optin +31612345678 --source "signed form"', why: 'record consent first' },
      { command: '/wa template send welcome_message en_US +31612345678', why: 'needs the opt-in above' },
      {
        command:
          '/wa deploy start +447911123459 --via cloud --waba 123456789012345 --name "Acme Foods" --pin 246810',
        why: `Cloud API: CODE_SENT at once, then enter ${META_CLOUD_OTP}`,
      },
      {
        command: '/wa deploy start +31612345678 --via vonage --waba 1234567890 --cert AbCdEFGHiJK123456',
        why: `Vonage: CODE_SENT in a few Ticks, then enter ${SANDBOX_OTP}`,
      },
      { command: '/wa jobs --all', why: 'everything and its state' },
    ],
  };
}
