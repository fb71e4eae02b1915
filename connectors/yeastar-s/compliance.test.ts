import { describeConnector } from '../../test/compliance.js';
import yeastarS from './index.js';

const CDR =
  '{"action":"NewCdr","callid":"1495779454.374","timestart":"2017-05-25 22:17:34","callfrom":"1002","callto":"41004","desttrunkname":"sip-142","callduraction":"4","talkduraction":"4","status":"ANSWERED","type":"Outbound"}';

describeConnector(yeastarS, {
  config: { id: 'pbx', type: 'yeastar-s', timezone: 'Etc/GMT+8', country: 'US' },
  invalid: [
    { patch: { timezone: 'Mars/Olympus' }, path: 'timezone' },
    { patch: { token: 'short' }, path: 'token' },
    { patch: { api: { base_url: 'not a url', username: 'api', password: 'x' } }, path: 'api.base_url' },
  ],
  samples: [{ body: CDR, contentType: 'application/json' }],
  badBodies: [
    { body: '{"action":"NewCdr","callid":', contentType: 'application/json' },
    { body: CDR.replace('"callduraction":"4"', '"callduraction":"ten"'), contentType: 'application/json' },
  ],
});
