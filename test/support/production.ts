/**
 * What production needs to serve the ECS app over HTTPS (lib/config/ecs.ts refuses it without):
 * a made-up ACM certificate in the test account and region, and the name it covers.
 */
export const PRODUCTION_HTTPS = {
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  domainName: 'app.example.com',
};
