// client-node's ApiException, imported from its own module: the package's index loads every generated API model
// (about 75 MiB resident), and the operator needs only this class from it at run time. It is the very class the
// index re-exports, so errors thrown by client-node's typed APIs (tests, tools) are recognised as well.
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
