/** The registry: ECR scanned the image every platform runs (scan on push), and found nothing CRITICAL. */
import { poll, VerifyError } from '../runner';
import type { LiveContext } from './context';

/** ECR's answers while a scan has not finished yet. */
const SCANNING = new Set(['IN_PROGRESS', 'PENDING']);

export async function registryChecks(live: LiveContext): Promise<void> {
  await live.check('ECR image scanned, no CRITICAL findings', async (context) => {
    // <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>
    const uri = live.output('registry', 'SampleAppImageUri');
    const repositoryName = uri.slice(uri.indexOf('/') + 1, uri.lastIndexOf(':'));
    const imageTag = live.imageTag();
    const scan = await poll(
      context,
      {
        timeoutMs: live.timings.scanMs,
        intervalMs: live.timings.intervalMs,
        what: `the scan of ${repositoryName}:${imageTag}`,
      },
      async (state) => {
        const answer = await live.aws.call('ecr', 'DescribeImageScanFindings', {
          repositoryName,
          imageId: { imageTag },
        });
        const status = answer.imageScanStatus?.status ?? 'unknown';
        state(status);
        return SCANNING.has(status) ? undefined : answer;
      },
    );
    const status = scan.imageScanStatus?.status;
    if (status !== 'COMPLETE') {
      throw new VerifyError(
        `scan of ${repositoryName}:${imageTag} is ${status}: ${scan.imageScanStatus?.description ?? ''}`,
      );
    }
    const counts = scan.imageScanFindings?.findingSeverityCounts ?? {};
    const summary =
      Object.entries(counts)
        .map(([severity, n]) => `${severity} ${n}`)
        .join(', ') || 'no findings';
    context.evidence(`${repositoryName}:${imageTag}: scan COMPLETE, ${summary}`);
    if ((counts.CRITICAL ?? 0) > 0)
      throw new VerifyError(`${counts.CRITICAL} CRITICAL findings in ${repositoryName}:${imageTag}`);
  });
}
