<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" trimDirectiveWhitespaces="true" %>
<%@ page import="java.time.Instant" %>
<%
    // Computed on the server: the raw "<%=" must never reach the browser.
    int answer = 6 * 7;
    StringBuilder squares = new StringBuilder();
    for (int i = 1; i <= 5; i++) {
        squares.append(i * i).append(i < 5 ? " " : "");
    }
%>
<!DOCTYPE html>
<html>
<head><title>podcompose sample</title></head>
<body>
<h1>podcompose sample</h1>
<p>The answer: <strong id="answer"><%= answer %></strong></p>
<p>Squares: <span id="squares"><%= squares %></span></p>
<p>Context path: <code>${pageContext.request.contextPath}</code></p>
<p>Served by <%= application.getServerInfo() %>
   (Servlet <%= application.getEffectiveMajorVersion() %>.<%= application.getEffectiveMinorVersion() %>,
   Java <%= System.getProperty("java.version") %>) at <%= Instant.now() %></p>
</body>
</html>
