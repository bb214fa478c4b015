import { parseEventsField } from '../../src/core/index.js';
console.log(parseEventsField('protocol="prep", status=200, expires=999999999999999', 'Thu, 07 Nov 2024 14:13:48 GMT'));
console.log(parseEventsField('protocol="prep", status=200, expires=1', new Date(8.64e15)));
