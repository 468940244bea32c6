// The evaluation layer: metrics, percentiles, ablation configurations, runners and report serializers (app and CLI).
export * from './metrics';
export * from './percentile';
export * from './configs';
export * from './runner';
export * from './answers';
export * from './serialize';
