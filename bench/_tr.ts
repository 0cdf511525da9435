import { Tracer } from '@aws-lambda-powertools/tracer';
export const tracer = new Tracer({ serviceName: 'x' });
export const handler = async () => { tracer.putAnnotation('a', 'b'); };
