// The tests of the conformance kit, in the order they run: delivery (delivery-tests.ts) and what
// the target claims (feature-tests.ts). Each one opens its own portal and checks what a user sees
// on both sides: the remote chat (through the target's network probe) and the Matrix room (through
// real Synapse, as the Matrix user).
import {
  matrixToNetworkOrder,
  networkToMatrixOrder,
  refusedMessage,
  restartMidBurst,
} from './delivery-tests.js';
import {
  actionTests,
  callsTest,
  linkOptionRefusedTest,
  linkRefusedTest,
  presenceTest,
  readReceiptsTest,
  repliesTest,
  senderAvatarTest,
  threadsTest,
} from './feature-tests.js';
import { matrixRefusedTest } from './bounce-test.js';
import { directChatRejoinTest } from './direct-chat-test.js';
import type { Kit } from './kit.js';
import type { ConformanceTarget, ConformanceTestName } from './types.js';

export interface ConformanceTest {
  name: ConformanceTestName;
  title: string;
  /** What the target must provide for the test to run (else it must skip it, with a reason). */
  needs?: { what: string; has: (target: ConformanceTarget) => boolean };
  timeoutMs: number;
  run(kit: Kit): Promise<void>;
}

export function conformanceTests(target: ConformanceTarget): ConformanceTest[] {
  const caps = target.capabilities;
  return [
    matrixToNetworkOrder,
    networkToMatrixOrder,
    repliesTest(caps),
    threadsTest(caps),
    ...actionTests(caps),
    refusedMessage,
    callsTest(caps),
    restartMidBurst,
    ...(caps.avatars ? [senderAvatarTest] : []),
    ...(target.unservableLink ? [linkRefusedTest(target.unservableLink)] : []),
    ...(target.refusedLinkOption ? [linkOptionRefusedTest(target.refusedLinkOption)] : []),
    ...(caps.receipts ? [readReceiptsTest] : []),
    ...(caps.presence ? [presenceTest] : []),
    ...(caps.bounces ? [matrixRefusedTest] : []),
    directChatRejoinTest,
  ];
}
