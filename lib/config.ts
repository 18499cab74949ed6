/**
 * CDK context -> one typed, validated configuration.
 *
 * Every key is read in lib/config/ and nowhere else: common.ts the keys every section builds on, one
 * file per section with its keys, defaults and allowed values, reader.ts the parsers. Here the
 * sections are read in turn, then the rules that span sections; all problems are collected and
 * reported together before any stack is built. This is the bottom layer: it imports no construct
 * library and nothing else of lib/ (test/config-layer.test.ts checks).
 */

import { type AppRunnerConfig, readAppRunner } from './config/apprunner';
import { type CommonConfig, readCommon } from './config/common';
import { type EcsConfig, readEcs } from './config/ecs';
import { type EcsPatternsConfig, readEcsPatterns } from './config/ecs-patterns';
import { type EksConfig, readEks } from './config/eks';
import { type ExpressConfig, readExpress } from './config/express';
import { type NetworkConfig, readNetwork } from './config/network';
import { ConfigError, type Context, Reader } from './config/reader';
import { type RegistryConfig, readRegistry } from './config/registry';

export * from './config/apprunner';
export * from './config/common';
export * from './config/ecs';
export * from './config/ecs-patterns';
export * from './config/eks';
export * from './config/express';
export * from './config/network';
export * from './config/registry';
export { ConfigError, isArmInstanceType } from './config/reader';

export interface AppConfig extends CommonConfig {
  readonly network: NetworkConfig;
  readonly registry: RegistryConfig;
  readonly ecs: EcsConfig;
  readonly eks: EksConfig;
  readonly appRunner: AppRunnerConfig;
  readonly express: ExpressConfig;
  readonly ecsPatterns: EcsPatternsConfig;
}

/** Builds the configuration, or throws one ConfigError listing every problem. */
export function loadConfig(context: Context): AppConfig {
  const r = new Reader(context);
  const common = readCommon(r);
  const { stage, env, cpuArchitecture, platforms } = common;

  const network = readNetwork(r, common);
  const registry = readRegistry(r, common);
  const ecs = readEcs(r, common);
  if (stage === 'production' && platforms.has('ecs') && !env) {
    r.fail(
      'region',
      'stage=production with platform "ecs" needs account and region (the ALB\'s access-log bucket policy names the region\'s Elastic Load Balancing log writer): set both, or leave "ecs" out of platforms',
    );
  }
  const eks = readEks(r, common);
  const appRunner = readAppRunner(r, common);
  const express = readExpress(r, common);
  // Express Mode registers its task definitions for X86_64; its API has no architecture setting
  if (platforms.has('express') && cpuArchitecture !== 'x86_64') {
    r.fail(
      'platforms',
      'ECS Express Mode runs x86_64 images only: drop "express" or use cpuArchitecture=x86_64',
    );
  }
  const ecsPatterns = readEcsPatterns(r, common);
  if (platforms.has('ecsPatterns') && !platforms.has('ecs')) {
    r.fail(
      'platforms',
      'got ecsPatterns without ecs; the ECS patterns run on the ECS stack\'s cluster and share its guestbook volume: add "ecs", or drop "ecsPatterns"',
    );
  }
  if (platforms.has('apprunner') && cpuArchitecture !== 'x86_64') {
    r.fail('platforms', 'App Runner runs x86_64 images only: drop "apprunner" or use cpuArchitecture=x86_64');
  }

  r.failUnknownKeys();
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { ...common, network, registry, ecs, eks, appRunner, express, ecsPatterns };
}
