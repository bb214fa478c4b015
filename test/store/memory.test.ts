import { MemoryStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

storeContract('memory', async () => {
  const store = new MemoryStore();
  await store.open();
  return store;
});
