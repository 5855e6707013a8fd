// Compile-time checks of index.d.ts (tsc --noEmit via tsconfig.json; never run).
import { Client, WebSocketConnectionManager, ChannelMessageInfo, Protocol, Provider } from '@tether/node';

const protocols: Protocol[] = ['raw', 'json', 'socketio', 'graphql-transport-ws', 'graphql-ws', 'signalr', 'phoenix',
  'pusher', 'actioncable', 'binance', 'aws-apigateway'];
const providers: Provider[] = ['none', 'socketio', 'pusher', 'ably', 'phoenix', 'actioncable', 'signalr', 'graphql',
  'apollo', 'aws-apigateway', 'binance', 'echo'];
// @ts-expect-error not a protocol
new Client({ url: 'ws://h/', protocol: 'stomp' });
// @ts-expect-error not a provider
new Client({ url: 'ws://h/', provider: 'firebase' });
// @ts-expect-error query parameters are strings
new Client({ url: 'ws://h/', queryParams: { n: 1 } });

const m = new WebSocketConnectionManager({ url: 'ws://h/', provider: 'socketio', namespace: '/admin', queryParams: { a: '1' } });
m.subscribe('chat', (payload, info: ChannelMessageInfo) => {
  const event: string = info.event;
  const channel: string = info.channel;
  void [payload, event, channel];
});
m.client.on('subscribeFailed', ({ subscription, error }) => void [subscription, error.code, error.remote]);
m.client.on('channelMessage', (_payload, { event }) => void event);
void [protocols, providers];
