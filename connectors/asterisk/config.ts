/** Configuration of one Asterisk connector instance (CDR CSV: `Master.csv`). */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { baseConnectorFields, cronSchema, zoneSchema } from '../core/config.js';
import { EXTRA_COLUMN_NAMES } from '../../transforms/asterisk/columns.js';

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a regular expression' },
);

export const asteriskConfigSchema = z
  .object({
    ...baseConnectorFields,
    type: z.literal('asterisk'),
    timezone: zoneSchema
      .default('UTC')
      .describe(
        'IANA zone of the PBX clock: `start`, `answer` and `end` are local times without offset. Example: `Europe/London`',
      ),
    usegmtime: z
      .boolean()
      .default(false)
      .describe(
        'Set when cdr.conf has `usegmtime=yes`: the CSV times are UTC, whatever `timezone` says. Example: `false`',
      ),
    extra_columns: z
      .array(z.enum(EXTRA_COLUMN_NAMES))
      .default([])
      .describe(
        'Columns written after the 18 default ones (cdr_custom), in order. With `linkedid`, the rows of one call are grouped into one call. Example: `[linkedid, sequence]`',
      ),
    directory: z
      .string()
      .refine(isAbsolute, { error: 'expected an absolute path' })
      .optional()
      .describe(
        'Directory to watch for CDR CSV files (poll side); omit to receive POSTed files only. Example: `/var/log/asterisk/cdr-csv`',
      ),
    file_pattern: regex
      .default('^Master\\.csv([.-].+)?$')
      .describe(
        'Regular expression of the file names to read in `directory`, rotated ones included. Example: `^Master\\.csv([.-].+)?$`',
      ),
    active_file: z
      .string()
      .min(1)
      .default('Master.csv')
      .describe('Name of the file Asterisk appends to (read last when times tie). Example: `Master.csv`'),
    schedule: cronSchema
      .default('* * * * *')
      .describe('When to look for new lines in `directory`. Example: `* * * * *`'),
    max_read_bytes: z
      .number()
      .int()
      .min(4096)
      .default(4 * 1024 * 1024)
      .describe(
        'Most bytes of one file read into one batch; a larger backlog takes several batches. Example: `4194304`',
      ),
    trunks: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Peer names of trunks, as in channel names (`PJSIP/<name>-…`, `SIP/<name>-…`). Example: `[trunk-gb, voipco]`',
      ),
    trunk_technologies: z
      .array(z.string().min(1))
      .default(['DAHDI'])
      .describe('Channel technologies whose every channel is a trunk (PSTN cards). Example: `[DAHDI]`'),
    inbound_contexts: z
      .array(z.string().min(1))
      .default(['from-trunk', 'from-pstn', 'from-external'])
      .describe('Dialplan contexts (`dcontext`) of calls that came from outside. Example: `[from-trunk]`'),
    max_extension_digits: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(6)
      .describe('Numbers with at most this many digits are extensions, longer ones are outside numbers. Example: `4`'),
  })
  .strict()
  .transform((c) => ({ ...c, tenant: c.tenant ?? c.id }));

export type AsteriskConfig = z.output<typeof asteriskConfigSchema>;
