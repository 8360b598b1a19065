package dev.pgtrickle.core.catalog;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;

/** Wraps a caller-owned connection so that a library (Flyway) cannot close it. */
final class NonClosingConnection {

    private NonClosingConnection() {
    }

    static Connection wrap(Connection target) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("close") && method.getParameterCount() == 0) {
                return null;
            }
            if (method.getName().equals("isClosed") && method.getParameterCount() == 0) {
                return target.isClosed();
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }
}
