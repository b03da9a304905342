import { describe, expect, it } from 'vitest';
import { installProblem } from './peer-irc.js';

describe('the IRC demo peer without InspIRCd', () => {
  it('as a normal user: the exact apt-get command to run as root', () => {
    expect(installProblem(false, 1000)).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends inspircd',
    );
    expect(installProblem(false, 0)).toBeUndefined(); // root: the demo installs it
    expect(installProblem(true, 1000)).toBeUndefined();
  });
});
